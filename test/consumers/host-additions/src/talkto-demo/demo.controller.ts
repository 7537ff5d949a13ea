import { Controller, Get, Param, Post } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TalktoClient } from 'nestjs-talkto';
import { PingResults } from './ping-results.js';

@Controller('demo')
export class DemoController {
  constructor(
    private readonly talkto: TalktoClient,
    private readonly results: PingResults,
    private readonly config: ConfigService,
  ) {}

  @Post('ping/:sourceId')
  async ping(@Param('sourceId') sourceId: string) {
    const peer = this.config.getOrThrow<string>('TALKTO_PEER');
    const sent = await this.talkto.send(
      peer,
      'demo.ping',
      { sourceId },
      { idempotencyKey: `ping:${sourceId}` },
    );
    return { messageId: sent.messageId };
  }

  @Get('results')
  received() {
    return this.results.received;
  }
}
