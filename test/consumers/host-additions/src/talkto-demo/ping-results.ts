import { Injectable } from '@nestjs/common';
import {
  OnTalktoResult,
  type TalktoCallbackResult,
  type TalktoResultHandler,
} from 'nestjs-talkto';

/** Keeps the result callbacks of the pings this instance sent. */
@Injectable()
@OnTalktoResult('demo.ping')
export class PingResults implements TalktoResultHandler {
  readonly received: TalktoCallbackResult[] = [];

  handle(result: TalktoCallbackResult): void {
    this.received.push(result);
  }
}
