/**
 * Marks a JS number as a PHP float for the payload freezer. A plain JS number with an integral
 * value becomes a PHP int (that is what a PHP receiver reads from `3`), so `talktoFloat(3)` is the
 * only way to send a float with an integral value. For the hash it rarely matters — float 1.0 and
 * int 1 are both written `1` — but from 1e17 on a float is written `1.0e+17` and an int is not.
 */
export class TalktoFloat {
  constructor(readonly value: number) {}
}

export function talktoFloat(value: number): TalktoFloat {
  return new TalktoFloat(value);
}
