/** The read step: the request body, within MAX_BODY_BYTES, as bytes. */
import { PayloadTooLargeError } from '../errors.ts';

export async function readBody(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw new PayloadTooLargeError(limit);
  if (!request.body) return new Uint8Array(0);
  if (declared !== null) {
    const bytes = await request.bytes();
    if (bytes.byteLength > limit) throw new PayloadTooLargeError(limit);
    return bytes;
  }
  // Chunked upload: count as it arrives and stop reading as soon as the limit is passed.
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(limit);
    }
    parts.push(value);
  }
  return new Uint8Array(Buffer.concat(parts));
}
