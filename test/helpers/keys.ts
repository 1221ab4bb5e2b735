/**
 * Fixed secrets of the test runs. Recorded histories (RECORD_HISTORIES=1) are encrypted with
 * TEST_PAYLOAD_KEYS, so the replay test decodes them with the same ring.
 */
export const TEST_JWT_SECRET = `base64:${Buffer.alloc(32, 7).toString('base64')}`;
export const TEST_PAYLOAD_KEYS = `test1:${Buffer.alloc(32, 11).toString('base64')}`;
export const TEST_CREDENTIALS_KEYS = `test1:${Buffer.alloc(32, 13).toString('base64')}`;
