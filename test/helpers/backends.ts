import { type BackendName, initBackend } from '../../src/backend/initBackend.js';
import '../../src/index.js';

/** The backends every numerical test runs on. */
export const TEST_BACKENDS: BackendName[] = ['cpu', 'wasm'];

/** Switches to `name` (idempotent). */
export async function useBackend(name: BackendName): Promise<void> {
  await initBackend(name);
}
