import type { DarwinAnnotation } from '@stagehook/sdk';

const COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324'];

/**
 * Darwin JSON 2.0 shapes drawn in the image's pixel space: over the image when it loads, over a
 * blank canvas of its size otherwise. Tags have no geometry and are listed instead.
 */
export function AnnotationsSvg({
  width,
  height,
  annotations,
  imageUrl,
  label,
}: {
  width: number;
  height: number;
  annotations: readonly DarwinAnnotation[];
  imageUrl?: string | null;
  label: string;
}) {
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 400));
  return (
    <svg className="annotations-svg" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} data-testid="annotations-svg">
      {imageUrl && <image href={imageUrl} x={0} y={0} width={width} height={height} />}
      {annotations.map((a, i) => {
        const colour = COLOURS[i % COLOURS.length];
        const common = { stroke: colour, strokeWidth: stroke, fill: 'none', 'data-annotation': a.name } as const;
        const title = <title>{a.name}</title>;
        if (a.polygon) {
          return (
            <g key={a.id}>
              {title}
              {a.polygon.paths.map((path, k) => (
                <polygon key={k} points={path.map((p) => `${p.x},${p.y}`).join(' ')} {...common} fill={`${colour}33`} />
              ))}
            </g>
          );
        }
        if (a.line) {
          return (
            <polyline key={a.id} points={a.line.path.map((p) => `${p.x},${p.y}`).join(' ')} {...common}>
              {title}
            </polyline>
          );
        }
        if (a.keypoint) {
          return (
            <circle key={a.id} cx={a.keypoint.x} cy={a.keypoint.y} r={stroke * 3} {...common} fill={colour}>
              {title}
            </circle>
          );
        }
        if (a.ellipse) {
          const e = a.ellipse;
          return (
            <ellipse
              key={a.id}
              cx={e.center.x}
              cy={e.center.y}
              rx={e.radius.x}
              ry={e.radius.y}
              transform={`rotate(${(e.angle * 180) / Math.PI} ${e.center.x} ${e.center.y})`}
              {...common}
            >
              {title}
            </ellipse>
          );
        }
        if (a.bounding_box) {
          const b = a.bounding_box;
          return (
            <rect key={a.id} x={b.x} y={b.y} width={b.w} height={b.h} {...common} fill={`${colour}22`}>
              {title}
            </rect>
          );
        }
        return null;
      })}
    </svg>
  );
}
