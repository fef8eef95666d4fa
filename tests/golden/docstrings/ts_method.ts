export class Box {
  ┃async load(path: string, n = 2, ...rest: number[]): Promise<Buffer> {
    if (!path) throw new TypeError("no");
    return read(path);
  }
}
