// Small shapes of the registry's JSON wire format, shared by the API handlers.
import type { JsonObject } from './store.ts';

/** A field of a request body, or undefined when the body is not an object. */
export function field(body: unknown, name: string): unknown {
  return body !== null && typeof body === 'object' ? (body as JsonObject)[name] : undefined;
}

/** service-center leaves empty lists out of its answers. */
export function listOrOmit<T>(name: string, list: T[]): Record<string, T[]> {
  return list.length === 0 ? {} : { [name]: list };
}
