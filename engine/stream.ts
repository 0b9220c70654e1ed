/**
 * Reads a body up to `limit` bytes; past that it stops reading and cancels the stream, so an
 * oversized upload or response is refused without being held in memory whole.
 */
export async function readCapped(body: ReadableStream<Uint8Array> | null, limit: number): Promise<{ ok: true; bytes: Buffer } | { ok: false }> {
  if (!body) return { ok: true, bytes: Buffer.alloc(0) };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { ok: true, bytes: Buffer.concat(chunks) };
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return { ok: false };
    }
    chunks.push(value);
  }
}
