/**
 * `n` small polygons laid out on a 1800-wide grid, as an annotator's tool would save them: the
 * bulk of a big V7 item, for the tests and the chaos run that push one through a webhook stage.
 */
export function polygonAnnotations(start: number, n: number): { name: string; polygon: { paths: { x: number; y: number }[][] } }[] {
  return Array.from({ length: n }, (_, i) => {
    const x = (start + i) % 1800;
    const y = Math.floor((start + i) / 1800) * 20;
    return {
      name: 'screw',
      polygon: {
        paths: [
          [
            { x, y },
            { x: x + 40, y },
            { x: x + 40, y: y + 16 },
            { x, y: y + 16 },
          ],
        ],
      },
    };
  });
}
