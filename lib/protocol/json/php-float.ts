/**
 * PHP's text for a double under `serialize_precision = -1`: the shortest round-trip digits (the
 * same digits ECMAScript prints), but PHP's own layout. Exponent form is used when the decimal
 * exponent is below -4 or at least 17, and it always carries a fraction (`1.0e+25`); `-0.0`
 * keeps its sign. The caller must refuse non-finite values first.
 */
export function formatPhpFloat(value: number): string {
  if (value === 0) {
    return Object.is(value, -0) ? '-0' : '0';
  }
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-4 && magnitude < 1e17) {
    // Decimal exponent in [-4, 16]: ECMAScript's plain layout of the same shortest digits is PHP's.
    return String(value);
  }
  const sign = value < 0 ? '-' : '';
  const scientific = magnitude.toExponential();
  const ePos = scientific.indexOf('e');
  const digits = scientific[0] + scientific.slice(2, ePos);
  const exponent = Number(scientific.slice(ePos + 1));

  if (exponent < -4 || exponent >= 17) {
    const fraction = digits.length > 1 ? digits.slice(1) : '0';
    return `${sign}${digits[0]}.${fraction}e${exponent < 0 ? '-' : '+'}${Math.abs(exponent)}`;
  }
  if (exponent < 0) {
    return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  }
  const whole = exponent + 1;
  if (digits.length <= whole) {
    return sign + digits + '0'.repeat(whole - digits.length);
  }
  return `${sign}${digits.slice(0, whole)}.${digits.slice(whole)}`;
}
