import type { Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';

export interface PayloadBinding {
  payload: unknown;
  /** `field (constraint)` for every failed rule; empty when the payload is valid. */
  problems: string[];
}

function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent === '' ? error.property : `${parent}.${error.property}`;
    const own = Object.keys(error.constraints ?? {}).map((constraint) => `${path} (${constraint})`);
    return [...own, ...describe(error.children ?? [], path)];
  });
}

/** Turns the decoded payload into the handler's DTO and validates it with class-validator. */
export async function bindPayload(plain: unknown, type: Type<unknown> | null): Promise<PayloadBinding> {
  if (type === null) {
    return { payload: plain, problems: [] };
  }
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    return { payload: plain, problems: ['payload (isObject)'] };
  }
  const instance = plainToInstance(type, plain) as object;
  const errors = await validate(instance, { forbidUnknownValues: false });
  return { payload: instance, problems: describe(errors) };
}
