import type { Type } from '@nestjs/common';
import type { TalktoTransport } from './talkto.transport.js';

/** `http` posts with `node:http(s)` (as fetch would); `loopback` keeps requests in memory (see `TalktoTestingModule`). */
export type TalktoTransportOption = 'http' | 'loopback' | TalktoTransport | Type<TalktoTransport>;
