import type { Type } from '@nestjs/common';
import type { TalktoTransport } from './talkto.transport.js';

/** `http` posts with fetch; `loopback` keeps requests in memory (see `TalktoTestingModule`). */
export type TalktoTransportOption = 'http' | 'loopback' | TalktoTransport | Type<TalktoTransport>;
