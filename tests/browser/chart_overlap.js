// Loaded by chart_overlap.sh into a page holding one gnuplot SVG chart inline. Measures what the
// browser drew (real font metrics through getBoundingClientRect, paths sampled every pixel) and
// writes one line per problem into the page's result element, then "checked N texts, M lines":
//   text-line   a stroked path (a data or target line, a whisker, a cell border, an axis)
//               passes through a text's box;
//   text-point  a point symbol lies inside a text's box;
//   text-text   two texts' boxes intersect;
//   outside     a text, a path or a point symbol leaves the canvas (cut off);
//   lines-close two vertical lines of different colours across most of the plot lie within
//               4 px of each other (a province line hidden by a target line).
// A text box is the glyph cell shrunk to the ink of a line of text (ascenders of Vietnamese
// capitals included): 0.12 em off the top, 0.22 em off the bottom, 1 px off each side; against
// another text the whole line box less 0.05 em top and bottom, so texts keep a gap.
// A path drawn before a text with an opaque box (gnuplot's textbox filter) is hidden by the box
// and not counted; gridlines (class "gridline") are the faint background and not counted.
(function () {
  const out = [];
  const svg = document.querySelector('svg');
  const view = svg.getBoundingClientRect();
  const texts = [];
  for (const t of svg.querySelectorAll('text')) {
    if (t.closest('defs') || t.textContent.trim() === '')
      continue;
    const r = t.getBoundingClientRect();
    const em = parseFloat(getComputedStyle(t).fontSize);
    const g = t.parentNode;
    texts.push({el: t, name: t.textContent.trim(), opaque: /textbox/.test(g.getAttribute('filter') || ''),
                x0: r.left + 1, x1: r.right - 1, y0: r.top + 0.12 * em, y1: r.bottom - 0.22 * em,
                // against another text: the line box, less a little of the font's leading
                tx0: r.left, tx1: r.right, ty0: r.top + 0.05 * em, ty1: r.bottom - 0.05 * em});
  }
  const inside = (b, x, y) => x > b.x0 && x < b.x1 && y > b.y0 && y < b.y1;
  const before = (a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
  let nlines = 0;
  for (const p of svg.querySelectorAll('path')) {
    if (p.closest('defs') || p.classList.contains('gridline'))
      continue;
    const stroke = getComputedStyle(p).stroke;
    if (!stroke || stroke === 'none')
      continue;
    nlines++;
    const m = p.getScreenCTM();
    const len = p.getTotalLength();
    const hit = new Set();
    let outside = false;
    for (let d = 0; d <= len; d += 1) {
      const q = p.getPointAtLength(d).matrixTransform(m);
      if (!outside && (q.x < view.left - 1 || q.x > view.right + 1 || q.y < view.top - 1 ||
                       q.y > view.bottom + 1)) {
        outside = true;
        out.push('outside: the path ' + p.getAttribute('d').trim().slice(0, 60) + ' leaves the canvas');
      }
      for (const b of texts)
        if (!hit.has(b) && inside(b, q.x, q.y) && !(b.opaque && before(p, b.el)))
          hit.add(b);
    }
    for (const b of hit)
      out.push('text-line: "' + b.name + '" crossed by the path ' + p.getAttribute('d').trim().slice(0, 60));
  }
  // gnuplot joins a legend sample and its line into one path: segments are read from "d"
  // (absolute M and L commands only outside <defs>).
  const verticals = [];
  for (const p of svg.querySelectorAll('path')) {
    if (p.closest('defs') || p.classList.contains('gridline'))
      continue;
    const m = p.getScreenCTM();
    const colour = getComputedStyle(p).stroke;
    let last = null;
    for (const c of (p.getAttribute('d') || '').matchAll(/([ML])\s*(-?[\d.]+)[ ,](-?[\d.]+)/g)) {
      const q = new DOMPoint(parseFloat(c[2]), parseFloat(c[3])).matrixTransform(m);
      if (c[1] === 'L' && last && Math.abs(q.x - last.x) < 1 && Math.abs(q.y - last.y) > 0.5 * view.height)
        verticals.push({x: q.x, colour});
      last = q;
    }
  }
  for (let i = 0; i < verticals.length; i++)
    for (let j = i + 1; j < verticals.length; j++)
      if (verticals[i].colour !== verticals[j].colour && Math.abs(verticals[i].x - verticals[j].x) < 4)
        out.push('lines-close: vertical lines at x = ' + verticals[i].x.toFixed(1) + ' and ' +
                 verticals[j].x.toFixed(1));
  for (const u of svg.querySelectorAll('use')) {
    if (u.closest('defs'))
      continue;
    const r = u.getBoundingClientRect();
    const cx = (r.left + r.right) / 2, cy = (r.top + r.bottom) / 2;
    if (r.left < view.left - 1 || r.right > view.right + 1 || r.top < view.top - 1 || r.bottom > view.bottom + 1)
      out.push('outside: a point at ' + cx.toFixed(0) + ',' + cy.toFixed(0) + ' leaves the canvas');
    for (const b of texts)
      if (r.right > b.x0 && r.left < b.x1 && r.bottom > b.y0 && r.top < b.y1 && !(b.opaque && before(u, b.el)))
        out.push('text-point: "' + b.name + '" covers a point at ' + cx.toFixed(0) + ',' + cy.toFixed(0));
  }
  for (let i = 0; i < texts.length; i++) {
    const a = texts[i];
    if (a.x0 < view.left - 0.5 || a.x1 > view.right + 0.5 || a.y0 < view.top - 0.5 || a.y1 > view.bottom + 0.5)
      out.push('outside: "' + a.name + '" leaves the canvas');
    for (let j = i + 1; j < texts.length; j++) {
      const b = texts[j];
      if (a.tx0 < b.tx1 && b.tx0 < a.tx1 && a.ty0 < b.ty1 && b.ty0 < a.ty1)
        out.push('text-text: "' + a.name + '" and "' + b.name + '" overlap');
    }
  }
  out.push('checked ' + texts.length + ' texts, ' + nlines + ' lines');
  document.getElementById('result').textContent = out.join('\n');
})();
