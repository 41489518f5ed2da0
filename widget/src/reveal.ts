// Puts a post's premium parts in place once its reader is entitled: fetched from WordPress's premium-url, which renders
// them only after the sidecar confirms the entitlement (WordPress's own rendering passed through wp_kses_post), into the
// plugin's locked boxes (marked with data attributes). Part of the after-unlock chunk (unlocked.tsx): only a reader who
// holds the post needs it.

interface PremiumParts {
  parts: { index: number; html: string }[];
}

export async function reveal(host: Element, url: string, source: string): Promise<void> {
  const r = await fetch(url, { credentials: 'same-origin', headers: { 'X-WP-Nonce': host.getAttribute('refresh-nonce') ?? '' } });
  if (!r.ok) throw new Error(String(r.status));
  const { parts } = (await r.json()) as PremiumParts;
  const boxes = [...document.querySelectorAll<HTMLElement>('.goldcoin-premium-locked')].filter((b) => b.dataset['goldcoinSource'] == source);
  for (const part of parts) {
    const box = boxes.find((b) => b.dataset['goldcoinPart'] == String(part.index));
    if (!box) continue;
    const content = document.createElement('div');
    content.className = 'goldcoin-premium-content';
    content.innerHTML = part.html;
    // The teaser and the note go; this widget (or what a theme wrapped it in) stays for the download.
    for (const child of [...box.children]) if (!child.contains(host)) child.remove();
    box.prepend(content);
    box.classList.replace('goldcoin-premium-locked', 'goldcoin-premium-open');
  }
}
