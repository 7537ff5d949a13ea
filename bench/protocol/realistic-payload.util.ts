/**
 * A deterministic, realistic order-export payload: nested objects, lists, ASCII and non-ASCII
 * strings (accents, CJK, emoji, a quote and a newline to escape), floats and ints. Grown one order
 * at a time until its JSON reaches the requested size.
 */
export function realisticPayload(targetBytes: number): Record<string, unknown> {
  let seed = 0x2545f491;
  const next = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 0x100000000;
  };
  const names = [
    'Zoë Ångström',
    '山田 太郎',
    'José Núñez',
    'Ørjan "Ole" Berg',
    'Amélie Dupré',
    'Ивана Петрова',
  ];
  const products = ['Café crème 250 g', 'Thé vert 🍵 bio', 'Brötchen ×6', '寿司セット', 'Line\nbreak mug'];
  const orders: Array<Record<string, unknown>> = [];
  const payload: Record<string, unknown> = {
    export_id: 'exp-20240611-0001',
    generated_at: '2024-06-11T10:15:30+00:00',
    currency: 'EUR',
    exchange_rate: 1.0837,
    orders,
  };
  while (Buffer.byteLength(JSON.stringify(payload)) < targetBytes) {
    const n = orders.length;
    const lines = Array.from({ length: 1 + Math.floor(next() * 3) }, (_, i) => ({
      sku: `SKU-${1000 + n * 10 + i}`,
      title: products[(n + i) % products.length],
      quantity: 1 + Math.floor(next() * 9),
      unit_price: Math.round(next() * 100000) / 100,
      discount: next() < 0.5 ? 0.15 : 0.05,
      tags: ['frais', 'größe-m', 'promo'].slice(0, 1 + (i % 3)),
    }));
    orders.push({
      id: 500000 + n,
      reference: `ORD-${(7331 * (n + 1)).toString(36).toUpperCase()}`,
      customer: {
        name: names[n % names.length],
        email: `customer${n}@example.org`,
        address: {
          street: `${n + 1} Rue de l'Église`,
          city: 'Montréal',
          postcode: 'H2X 1Y4',
          lat: 45.5088 + next(),
          lng: -73.5617 - next(),
        },
        vip: n % 7 === 0,
      },
      lines,
      total: Math.round(next() * 1e7) / 100,
      weight_kg: 0.1 + Math.round(next() * 1e4) / 1e3,
      note: n % 3 === 0 ? null : `Livraison après 18h — merci! #${n}`,
    });
  }
  return payload;
}
