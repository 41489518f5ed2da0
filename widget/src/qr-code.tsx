// The QR code drawn locally as one SVG path, with a two-module quiet zone: its text never leaves the page.
import { qrEncode } from './qr.js';

export function Qr({ text, label }: { text: string; label: string }) {
  const q = qrEncode(text);
  let d = '';
  q.forEach((row, y) => row.forEach((on, x) => on && (d += `M${x} ${y}h1v1h-1z`)));
  return (
    <svg class="qr" viewBox={`-2 -2 ${q.length + 4} ${q.length + 4}`} role="img" aria-label={label} shape-rendering="crispEdges">
      <rect x="-2" y="-2" width="100%" height="100%" fill="#fff" />
      <path d={d} />
    </svg>
  );
}
