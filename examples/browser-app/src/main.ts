import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { createTokenRefresher, type IssuedToken } from "./token-refresher";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const api = $<HTMLInputElement>("api");
const bearer = $<HTMLTextAreaElement>("bearer");
const status = $("status");
const error = $("error");

api.value = new URLSearchParams(location.search).get("api") ?? "http://127.0.0.1:4000/graphql";
let refreshes = 0;
let credential: AzureCommunicationTokenCredential | undefined;

function show(issued: IssuedToken) {
  refreshes += 1;
  $("identity").textContent = issued.identity.id;
  $("scopes").textContent = issued.scopes.join(", ");
  $("expires").textContent = new Date(issued.expiresOn).toISOString();
  $("refreshes").textContent = String(refreshes);
  $("result").hidden = false;
}

async function getToken(fresh: boolean) {
  error.textContent = "";
  status.textContent = "Asking for a token…";
  try {
    if (fresh || !credential) {
      credential?.dispose();
      const refresher = createTokenRefresher(api.value, () => bearer.value.trim(), show);
      credential = new AzureCommunicationTokenCredential({
        tokenRefresher: refresher,
        refreshProactively: true,
      });
    }
    await credential.getToken();
    status.textContent = "Signed in: the token is in memory and will be refreshed before it expires.";
    $<HTMLButtonElement>("refresh").disabled = false;
  } catch (failure) {
    status.textContent = "No token.";
    error.textContent = failure instanceof Error ? failure.message : String(failure);
  }
}

$("sign-in").addEventListener("click", () => void getToken(true));
$("refresh").addEventListener("click", () => void getToken(true));
