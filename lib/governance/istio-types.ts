// The parts of VirtualService, DestinationRule and EnvoyFilter that governance writes,
// as plain JSON shapes (field names as in networking.istio.io; EnvoyFilter is v1alpha3,
// the only version its CRD serves). All are the model's (lib/model/istio.ts): the
// pipeline writes them like any other object.
import type { DestinationRule } from '../model/istio.ts';

export type {
  EnvoyConfigPatch,
  EnvoyFilter,
  EnvoyFilterSpec,
  HTTPFaultInjection,
  HTTPMatchRequest,
  HTTPRetry,
  HTTPRoute,
  JsonValue,
  StringMatch,
  TrafficPolicy,
  VirtualService,
  VirtualServiceSpec,
} from '../model/istio.ts';
export { ENVOY_FILTER_API_VERSION } from '../model/istio.ts';

/** The rendered DestinationRule with governance's traffic policy; `subsets` may be empty. */
export type GovernedDestinationRule = DestinationRule;
