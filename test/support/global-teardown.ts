// jest globalTeardown: the whole-run secret sweep (which may throw, failing the run), then cleanup.
import { removeDatabaseTemplate } from "./database-template";
import { removeEmulatorSigningKey } from "./emulator-key";
import secretSweepGlobalTeardown from "./secret-sweep-global-teardown";

export default function globalTeardown(globalConfig: Parameters<typeof secretSweepGlobalTeardown>[0]): void {
  try {
    secretSweepGlobalTeardown(globalConfig);
  } finally {
    removeDatabaseTemplate();
    removeEmulatorSigningKey();
  }
}
