// HTTP/1.1 over a TCP socket bound to a chosen loopback source address (127.0.0.2, …), so tests can
// be several peers at once; fetch() cannot choose its source address. Loopback only.
import net from "node:net";

export interface PeerRequest {
  port: number;
  /** Source address, a 127.0.0.0/8 address (Linux routes the whole block to lo). */
  from: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent after the headers; with `declaredLength` longer than it, the rest is never sent. */
  body?: string;
  /** Content-Length to declare (default: the body's length). */
  declaredLength?: number;
}

export interface PeerResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** One POST; resolves with the first complete response head and whatever body came with it. */
export function peerPost(req: PeerRequest): Promise<PeerResponse> {
  if (!req.from.startsWith("127.")) throw new Error(`loopback only: ${req.from}`);
  const body = Buffer.from(req.body ?? "");
  const head = [
    `POST ${req.path} HTTP/1.1`,
    `Host: 127.0.0.1:${req.port}`,
    `Content-Length: ${req.declaredLength ?? body.byteLength}`,
    "Connection: close",
    ...Object.entries(req.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    "",
    "",
  ].join("\r\n");
  return new Promise((resolve, reject) => {
    let data = "";
    const socket = net.connect({ host: "127.0.0.1", port: req.port, localAddress: req.from }, () => {
      socket.write(head);
      socket.write(body);
    });
    const finish = () => {
      const end = data.indexOf("\r\n\r\n");
      if (end === -1) return false;
      const [statusLine = "", ...lines] = data.slice(0, end).split("\r\n");
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const colon = l.indexOf(":");
        headers[l.slice(0, colon).trim().toLowerCase()] = l.slice(colon + 1).trim();
      }
      const length = Number(headers["content-length"] ?? "0");
      const text = data.slice(end + 4);
      if (Buffer.byteLength(text) < length) return false;
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? "0"), headers, text });
      socket.destroy();
      return true;
    };
    socket.on("data", (chunk) => {
      data += chunk.toString();
      finish();
    });
    socket.on("end", () => {
      if (!finish())
        reject(new Error(`connection closed without a full response: ${JSON.stringify(data.slice(0, 200))}`));
    });
    socket.on("error", reject);
  });
}
