// A small client for the emulator's own endpoints, for other apps' tests.
import type { FaultRule, TokenValidity } from "./index";

async function call<T>(endpoint: string, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(new URL(path, endpoint), init);
  const body = (await response.json()) as T;
  if (!response.ok) throw new Error(`emulator ${path} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Would ACS accept this token now? (signature, expiry, revocation, identity not deleted) */
export const validateEmulatorToken = (endpoint: string, token: string) =>
  call<TokenValidity>(endpoint, "_emulator/tokens/validate", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });

export const setEmulatorFaults = (endpoint: string, accessKey: string, rules: FaultRule[]) =>
  call<{ rules: FaultRule[] }>(endpoint, "_emulator/faults", {
    method: "PUT",
    headers: { "content-type": "application/json", "x-emulator-access-key": accessKey },
    body: JSON.stringify({ rules }),
  });

export const clearEmulatorFaults = (endpoint: string, accessKey: string) =>
  call<{ rules: FaultRule[] }>(endpoint, "_emulator/faults", {
    method: "DELETE",
    headers: { "x-emulator-access-key": accessKey },
  });

export const resetEmulator = (endpoint: string, accessKey: string) =>
  call<{ reset: boolean }>(endpoint, "_emulator/reset", {
    method: "POST",
    headers: { "x-emulator-access-key": accessKey },
  });
