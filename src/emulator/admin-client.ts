// A small client for the emulator's own endpoints (/_emulator/...), for other apps' tests.
import type { FaultRule, TokenValidity } from "./index";

async function call<T>(endpoint: string, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(new URL(path, endpoint), init);
  const text = await response.text();
  // The error text holds the emulator's error body only: never the token or key that was sent.
  if (!response.ok) throw new Error(`emulator ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Would ACS accept this token now? (signature, expiry, revocation, identity not deleted) */
export const validateEmulatorToken = (endpoint: string, token: string) =>
  call<TokenValidity>(endpoint, "_emulator/tokens/validate", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });

/** Replaces the fault rules; `seed` makes `ratio` draws repeatable. */
export const setEmulatorFaults = (
  endpoint: string,
  accessKey: string,
  rules: FaultRule[],
  options: { seed?: number } = {},
) =>
  call<{ rules: FaultRule[] }>(endpoint, "_emulator/faults", {
    method: "PUT",
    headers: { "content-type": "application/json", "x-emulator-access-key": accessKey },
    body: JSON.stringify({ rules, ...options }),
  });

export const getEmulatorFaults = (endpoint: string, accessKey: string) =>
  call<{ rules: FaultRule[] }>(endpoint, "_emulator/faults", {
    headers: { "x-emulator-access-key": accessKey },
  });

export const clearEmulatorFaults = (endpoint: string, accessKey: string) =>
  call<{ rules: FaultRule[] }>(endpoint, "_emulator/faults", {
    method: "DELETE",
    headers: { "x-emulator-access-key": accessKey },
  });

/** Forgets every identity and revocation (keys stay). */
export const resetEmulator = (endpoint: string, accessKey: string) =>
  call<{ reset: boolean }>(endpoint, "_emulator/reset", {
    method: "POST",
    headers: { "x-emulator-access-key": accessKey },
  });
