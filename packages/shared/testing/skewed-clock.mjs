// Preloaded (node --import) into a bundled action to run it on a runner whose wall clock is wrong by
// MPAC_TEST_CLOCK_SKEW_MS (positive: ahead). Monotonic time (performance.now) is left alone, as on
// a real machine; only Date moves.
const skewMs = Number(process.env.MPAC_TEST_CLOCK_SKEW_MS ?? 0);
if (skewMs) {
  const RealDate = Date;
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + skewMs);
      else super(...args);
    }
    static now() {
      return RealDate.now() + skewMs;
    }
  }
  globalThis.Date = SkewedDate;
}
