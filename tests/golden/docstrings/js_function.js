// A plain comment stays.
function ┃f(a, {b, c}, d = 3) {
  return a;
}
