// What tests/browser/test_preview_themes.py asks of a page, run in the page.

// The nearest ancestor that scrolls (or clips) sideways: what is inside it may be
// wider than the screen, as long as the scroller itself is not.
function scroller(el) {
  for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    const o = getComputedStyle(a).overflowX;
    if (o === "auto" || o === "scroll" || o === "hidden" || o === "clip") return a;
  }
  return null;
}

function tooWide() {
  const width = window.innerWidth, out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = (scroller(el) || el).getBoundingClientRect();
    if (r.width > 0 && (r.left < -1 || r.right > width + 1)) {
      out.push(`${el.tagName} ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
  }
  return out;
}

function images() {
  return [...document.images].map(i => [i.currentSrc, i.complete, i.naturalWidth]);
}

function references() {
  const body = document.getElementById("body");
  const cited = [...body.querySelectorAll("sup")].map(s => s.textContent.trim())
    .filter(t => /^\[\d+\]$/.test(t));
  const paragraphs = [...body.querySelectorAll("p")];
  const head = paragraphs.find(p => p.textContent.trim() === "参考资料");
  const listed = head ? [...head.parentElement.querySelectorAll("p")].filter(p => p !== head)
    .map(p => p.textContent.trim()) : [];
  return {cited, listed};
}

function rgba(text) {
  const m = /^rgba?\(([^)]+)\)$/.exec(text);
  if (!m) return null;
  const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}

// The colour behind an element: its and its ancestors' backgrounds, composited.
function background(el) {
  const layers = [];
  for (let a = el; a; a = a.parentElement) {
    const c = rgba(getComputedStyle(a).backgroundColor);
    if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  let out = [255, 255, 255];
  if (!layers.length || layers[layers.length - 1][3] < 1) {
    const canvas = matchMedia("(prefers-color-scheme: dark)").matches ? [18, 18, 18] : out;
    out = canvas;
  }
  for (const c of layers.reverse()) out = out.map((v, i) => v * (1 - c[3]) + c[i] * c[3]);
  return out;
}

function luminance(c) {
  const [r, g, b] = c.map(v => { const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

// Every element showing text of its own whose WCAG contrast is under 4.5, the
// article's body included.
function unreadable() {
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || box.width === 0 || box.height === 0) continue;
    const fg = rgba(getComputedStyle(el).color);
    if (!fg) { out.push([el.tagName, getComputedStyle(el).color]); continue; }
    const bg = background(el);
    const text = fg.slice(0, 3).map((v, i) => v * fg[3] + bg[i] * (1 - fg[3]));
    const [hi, lo] = [luminance(text), luminance(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 4.5) {
      out.push([el.tagName, el.textContent.trim().slice(0, 20), ratio.toFixed(2),
                getComputedStyle(el).color, bg.map(Math.round).join(",")]);
    }
  }
  return out;
}
