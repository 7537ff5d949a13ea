import { Injectable } from '@nestjs/common';

/**
 * The time source of every timestamp check, lease and retry schedule. Tests and conformance runs
 * replace it with a fixed clock through the provider, never by patching globals.
 */
@Injectable()
export class TalktoClock {
  now(): Date {
    return new Date();
  }

  nowUnixSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}

/** A clock that stays where it is put: `set()` and `advance()` move it. */
export class FixedTalktoClock extends TalktoClock {
  constructor(private instant: Date) {
    super();
  }

  override now(): Date {
    return new Date(this.instant.getTime());
  }

  set(instant: Date): void {
    this.instant = instant;
  }

  advance(ms: number): void {
    this.instant = new Date(this.instant.getTime() + ms);
  }
}
