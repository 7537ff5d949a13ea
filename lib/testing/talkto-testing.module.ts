import { Module } from '@nestjs/common';
import { TalktoTesting } from './talkto-testing.service.js';

/**
 * Import next to the host's own module in a test (`imports: [AppModule, TalktoTestingModule]`)
 * and get `TalktoTesting` from the app. The app must use the loopback transport: by configuration,
 * or with `.overrideProvider(TalktoTransport).useClass(LoopbackTalktoTransport)`.
 */
@Module({ providers: [TalktoTesting], exports: [TalktoTesting] })
export class TalktoTestingModule {}
