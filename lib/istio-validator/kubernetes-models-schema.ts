// Layer 2 without ../shared: the OpenAPI validators that @kubernetes-models/istio compiles
// from the same Istio CRDs (ajv standalone code behind each model's validate()). They
// carry no CEL rules and no pruning information, so only value checks come from here.
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';
import { Sidecar } from '@kubernetes-models/istio/networking.istio.io/v1/Sidecar';
import { EnvoyFilter } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';
import { ServiceEntry } from '@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry';
import { WorkloadEntry } from '@kubernetes-models/istio/networking.istio.io/v1/WorkloadEntry';
import type { ErrorObject } from 'ajv';
import type { IstioKind } from '../model/istio.ts';
import type { ValueCheck } from './openapi-schema.ts';

interface ValidatingModel {
  validate(): void;
}
type ModelFactory = (data: Record<string, unknown>) => ValidatingModel;

// The models' constructors are typed for well-formed input; the point here is checking input that is not.
const MODELS: Record<IstioKind, ModelFactory> = {
  ServiceEntry: (data) => new ServiceEntry(data as unknown as ConstructorParameters<typeof ServiceEntry>[0]),
  WorkloadEntry: (data) => new WorkloadEntry(data as unknown as ConstructorParameters<typeof WorkloadEntry>[0]),
  DestinationRule: (data) => new DestinationRule(data as unknown as ConstructorParameters<typeof DestinationRule>[0]),
  VirtualService: (data) => new VirtualService(data as unknown as ConstructorParameters<typeof VirtualService>[0]),
  Sidecar: (data) => new Sidecar(data as unknown as ConstructorParameters<typeof Sidecar>[0]),
  EnvoyFilter: (data) => new EnvoyFilter(data as unknown as ConstructorParameters<typeof EnvoyFilter>[0]),
};

const hasAjvErrors = (err: unknown): err is { errors: ErrorObject[] } =>
  typeof err === 'object' && err !== null && Array.isArray((err as { errors?: unknown }).errors);

/** TypeMeta and ObjectMeta are checked by the metadata layer, with the API server's messages. */
const OWN_LAYER = /^\/(apiVersion|kind|metadata)(\/|$)/;

export function kubernetesModelsValueCheck(kind: IstioKind): ValueCheck {
  const create = MODELS[kind];
  return (data) => {
    try {
      create(data as Record<string, unknown>).validate();
      return [];
    } catch (err) {
      if (!hasAjvErrors(err)) throw err;
      return err.errors.filter((e) => !OWN_LAYER.test(e.instancePath));
    }
  };
}
