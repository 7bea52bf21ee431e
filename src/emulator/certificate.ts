// A self-signed TLS certificate for the emulator's HTTPS front, made in pure JS (@peculiar/x509 over
// WebCrypto): no openssl binary, nothing downloaded. Clients trust it by its PEM (it is its own CA).
import "reflect-metadata"; // tsyringe, under @peculiar/x509, needs the Reflect metadata polyfill
import * as x509 from "@peculiar/x509";
import { randomBytes, webcrypto } from "node:crypto";
import { isIP } from "node:net";

export interface TlsCertificate {
  /** PEM of the certificate: give it to clients as their trusted CA. */
  cert: string;
  /** PEM (PKCS#8) of its private key. */
  key: string;
}

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/** A certificate for `hosts` (names and IP addresses), valid from an hour ago for `days` days. */
export async function generateCertificate(
  hosts: string[] = ["localhost", "127.0.0.1", "::1"],
  days = 30,
): Promise<TlsCertificate> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const serial = randomBytes(15).toString("hex");
  const notBefore = new Date(Date.now() - 60 * 60 * 1000); // tolerate a client clock a little behind
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: `01${serial}`, // positive, 16 bytes
      // Unique: verifiers find a certificate's issuer by name, and two trusted certificates of one
      // name (say, the emulator's and a test issuer's) would shadow each other.
      name: `CN=ACS Identity emulator ${serial.slice(0, 12)}, O=acs-identity-graph`,
      notBefore,
      notAfter: new Date(notBefore.getTime() + days * 24 * 60 * 60 * 1000),
      keys,
      signingAlgorithm: ALGORITHM,
      extensions: [
        // A CA so that strict verifiers accept it as the trust anchor it is.
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          hosts.map((host) =>
            isIP(host) ? { type: "ip" as const, value: host } : { type: "dns" as const, value: host },
          ),
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    },
    webcrypto as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1],
  );
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  return {
    // Each ends in a newline, as PEM files do, so that concatenated certificates stay parseable.
    cert: `${cert.toString("pem").trimEnd()}\n`,
    key: `${x509.PemConverter.encode(pkcs8, "PRIVATE KEY").trimEnd()}\n`,
  };
}
