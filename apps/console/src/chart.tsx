export interface Series {
  readonly name: string;
  readonly points: ReadonlyArray<{ x: number; y: number }>;
}

const COLORS = ['#1d4ed8', '#b45309', '#047857', '#7c3aed'];

/** A small SVG line chart: one y axis per series (normalised), shared x; values are also listed for screen readers. */
export function LineChart({ series, xLabel, title }: { series: readonly Series[]; xLabel: string; title: string }) {
  const W = 720;
  const H = 260;
  const pad = { l: 48, r: 48, t: 16, b: 36 };
  const all = series.flatMap((s) => s.points);
  const xMin = Math.min(...all.map((p) => p.x));
  const xMax = Math.max(...all.map((p) => p.x));
  const sx = (x: number) => pad.l + (xMax === xMin ? 0.5 : (x - xMin) / (xMax - xMin)) * (W - pad.l - pad.r);
  const drawn = series.filter((s) => s.points.length);
  return (
    <figure className="chart" id="metrics-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="chart-title">
        <title id="chart-title">{title}</title>
        <line x1={pad.l} y1={H - pad.b} x2={W - pad.r} y2={H - pad.b} className="axis" />
        <text x={W / 2} y={H - 6} className="axis-label" textAnchor="middle">
          {xLabel}
        </text>
        <text x={pad.l} y={H - pad.b + 16} className="tick" textAnchor="start">
          {xMin}
        </text>
        <text x={W - pad.r} y={H - pad.b + 16} className="tick" textAnchor="end">
          {xMax}
        </text>
        {drawn.map((s, i) => {
          const ys = s.points.map((p) => p.y);
          const yMin = Math.min(...ys);
          const yMax = Math.max(...ys);
          const sy = (y: number) => pad.t + (1 - (yMax === yMin ? 0.5 : (y - yMin) / (yMax - yMin))) * (H - pad.t - pad.b);
          const d = s.points.map((p, k) => `${k ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
          const side = i === 0 ? pad.l - 6 : W - pad.r + 6;
          const anchor = i === 0 ? 'end' : 'start';
          return (
            <g key={s.name} className={`series series-${s.name}`}>
              <path d={d} fill="none" stroke={COLORS[i % COLORS.length]} strokeWidth={2} />
              {s.points.length === 1 ? <circle cx={sx(s.points[0]!.x)} cy={sy(s.points[0]!.y)} r={3} fill={COLORS[i % COLORS.length]} /> : null}
              <text x={side} y={pad.t + 10} className="tick" textAnchor={anchor} fill={COLORS[i % COLORS.length]}>
                {yMax.toPrecision(3)}
              </text>
              <text x={side} y={H - pad.b} className="tick" textAnchor={anchor} fill={COLORS[i % COLORS.length]}>
                {yMin.toPrecision(3)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="legend">
        {drawn.map((s, i) => (
          <span key={s.name} className="legend-item">
            <span className={`swatch swatch-${i}`} aria-hidden="true" /> {s.name} (last {s.points.at(-1)!.y.toPrecision(4)} at {xLabel} {s.points.at(-1)!.x})
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
