import { Injectable } from '@nestjs/common';
import { TalktoTransport, type TalktoTransportResponse } from './talkto.transport.js';

/** Posts with Node's `fetch`; headers keep their order, the body is sent byte for byte. */
@Injectable()
export class HttpTalktoTransport extends TalktoTransport {
  async post(
    url: string,
    headers: Array<[string, string]>,
    body: string,
    timeoutMs: number,
  ): Promise<TalktoTransportResponse> {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'follow',
      signal: AbortSignal.timeout(timeoutMs),
    });
    return {
      status: response.status,
      body: await response.text(),
      retryAfter: response.headers.get('retry-after'),
    };
  }
}
