import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TALKTO_MIGRATIONS, TalktoModule } from 'nestjs-talkto';
import { AppModule } from '../app.module.js';
import { PingHandler } from '../talkto/incoming/peer/ping.handler.js';
import { DemoController } from './demo.controller.js';
import { PingResults } from './ping-results.js';
import { talktoOptions } from './talkto-options.js';

/**
 * The starter's AppModule plus Talkto, configured the way a host usually is: TypeORM with
 * `autoLoadEntities`, Talkto from `ConfigService`, and a handler written by `talkto make:incoming`.
 */
@Module({
  imports: [
    AppModule,
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }),
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        type: 'postgres' as const,
        url: config.getOrThrow<string>('DATABASE_URL'),
        autoLoadEntities: true,
        migrations: TALKTO_MIGRATIONS,
        migrationsRun: true,
      }),
    }),
    TalktoModule.forRootAsync({ inject: [ConfigService], useFactory: talktoOptions }),
  ],
  controllers: [DemoController],
  providers: [PingHandler, PingResults],
})
export class TalktoDemoModule {}
