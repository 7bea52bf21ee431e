// The error a bad setting raises: src/main.ts prints its message (every problem at once) and exits 2.
// Its own file so modules that refuse a setting's contents (src/auth/policy-file.ts) share it with loadConfig.
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
