/**
 * The TWAP's state and every decision over it that needs no I/O: the next slice's size, the
 * schedule after a resume or an amend, progress, and the Updates' validators. Deterministic.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { Decimal } from 'decimal.js';
import { isTerminal } from '../../domain/orders.js';
import { nextSliceQuantity, sliceOrderId, sliceBelowMinimum, spreadSchedule, twapProgress, TWAP_MAX_HORIZON_MS, TWAP_MIN_INTERVAL_MS } from '../../domain/twap.js';
import { isTwapTerminal, TWAP_CONFLICT, TWAP_INVALID, type AmendTwapRequest, type TwapRequest, type TwapSlice, type TwapState } from '../twap-definitions.js';

const DECIMAL = /^(0|[1-9]\d{0,19})(\.\d{1,18})?$/;

const conflict = (message: string) => ApplicationFailure.create({ type: TWAP_CONFLICT, nonRetryable: true, message });
const invalid = (message: string) => ApplicationFailure.create({ type: TWAP_INVALID, nonRetryable: true, message });

export function initialTwapState(twap: TwapRequest): TwapState {
  return {
    status: 'RUNNING',
    targetQty: twap.quantity,
    endAt: twap.endAt,
    slicesTotal: twap.slices,
    nextIndex: 0,
    schedule: spreadSchedule(Date.parse(twap.startAt), Date.parse(twap.endAt), twap.slices),
    slices: [],
    filledQty: '0',
    remainingQty: twap.quantity,
    cumulativeQuoteQty: '0',
    averagePrice: '0',
    writes: 0,
  };
}

export class TwapBook {
  constructor(
    readonly state: TwapState,
    private readonly twapId: string,
  ) {}

  get slicesLeft(): number {
    return this.state.slicesTotal - this.state.nextIndex;
  }

  /** Placed and not taken back: what filled of ended slices, and the whole quantity of working ones. */
  committed(): Decimal {
    return this.state.slices.reduce((sum, s) => sum.plus(s.status === 'SKIPPED' ? 0 : isTerminal(s.status) ? s.executedQty : s.quantity), new Decimal(0));
  }

  /** The next slice's quantity, and why it cannot be placed (too small), if so. */
  nextSlice(): { quantity: string; tooSmall: string | null } {
    const rules = this.state.rules!;
    const qty = nextSliceQuantity(new Decimal(this.state.targetQty).minus(this.committed()), this.slicesLeft, rules.stepSize);
    return { quantity: qty.toString(), tooSmall: sliceBelowMinimum(qty, rules.price, rules) };
  }

  /** The slices left spread evenly from `fromMs` to the end of the horizon. */
  reschedule(fromMs: number): void {
    const times = spreadSchedule(fromMs, Date.parse(this.state.endAt), this.slicesLeft);
    times.forEach((t, k) => (this.state.schedule[this.state.nextIndex + k] = t));
  }

  /** Recomputes filled / remaining / average price from the slices. */
  refreshProgress(): void {
    const p = twapProgress(this.state.slices);
    this.state.filledQty = p.filledQty;
    this.state.cumulativeQuoteQty = p.cumulativeQuoteQty;
    this.state.averagePrice = p.averagePrice;
    const remaining = new Decimal(this.state.targetQty).minus(p.filledQty);
    this.state.remainingQty = Decimal.max(remaining, 0).toString();
  }

  settle(slice: TwapSlice, figures: { status: TwapSlice['status']; executedQty: string; cumulativeQuoteQty: string }): void {
    Object.assign(slice, figures);
    this.refreshProgress();
  }

  /** An amend: the quantity still to place from now on, and/or a new end. */
  amend({ remainingQuantity, endAt }: AmendTwapRequest, nowMs: number): void {
    if (remainingQuantity !== undefined) {
      this.state.targetQty = this.committed().plus(remainingQuantity).toString();
      // Nothing more to place: the slices left end here, recorded as skipped.
      if (new Decimal(remainingQuantity).isZero()) {
        for (let index = this.state.nextIndex; index < this.state.slicesTotal; index++) {
          const scheduledAtMs = this.state.schedule[index] ?? nowMs;
          this.state.slices.push({ index, orderId: sliceOrderId(this.twapId, index), scheduledAtMs, quantity: '0', status: 'SKIPPED', executedQty: '0', cumulativeQuoteQty: '0', note: 'skipped: amended to nothing left to place' });
        }
        this.state.nextIndex = this.state.slicesTotal;
      }
    }
    if (endAt !== undefined) {
      this.state.endAt = new Date(endAt).toISOString();
      this.reschedule(Math.max(nowMs, this.state.schedule[this.state.nextIndex] ?? nowMs));
    }
    this.refreshProgress();
  }

  // --- Validators: they throw, and change nothing ------------------------------------------------

  validatePause(): void {
    if (this.state.status !== 'RUNNING') throw conflict(`The TWAP is ${this.state.status}; only a RUNNING TWAP can be paused`);
  }

  validateResume(endAt: string | undefined, nowMs: number): void {
    if (this.state.status !== 'PAUSED') throw conflict(`The TWAP is ${this.state.status}; only a PAUSED TWAP can be resumed`);
    if (endAt !== undefined) this.validateEnd(endAt, nowMs, nowMs);
    else if (Date.parse(this.state.endAt) - nowMs < this.slicesLeft * TWAP_MIN_INTERVAL_MS) {
      throw invalid(`endAt: the horizon (${this.state.endAt}) leaves less than ${TWAP_MIN_INTERVAL_MS / 1000} s per slice for the ${this.slicesLeft} slices left; resume with a later endAt`);
    }
  }

  validateCancel(): void {
    if (isTwapTerminal(this.state.status) || this.state.status === 'CANCELING') throw conflict(`The TWAP is already ${this.state.status}; there is nothing to cancel`);
  }

  validateAmend({ remainingQuantity, endAt }: AmendTwapRequest, nowMs: number): void {
    if (this.state.status !== 'RUNNING' && this.state.status !== 'PAUSED') throw conflict(`The TWAP is ${this.state.status}; only a RUNNING or PAUSED TWAP can be amended`);
    if (this.slicesLeft === 0) throw conflict('Every slice has started; there is nothing left to amend');
    if (remainingQuantity === undefined && endAt === undefined) throw invalid('Send remainingQuantity, endAt or both');
    if (endAt !== undefined) this.validateEnd(endAt, Math.max(nowMs, this.state.schedule[this.state.nextIndex] ?? nowMs), nowMs);
    if (remainingQuantity !== undefined) {
      if (!DECIMAL.test(remainingQuantity)) throw invalid('remainingQuantity: must be a plain decimal string such as "0.01"');
      if (new Decimal(remainingQuantity).isZero()) return;
      const rules = this.state.rules!;
      const slice = nextSliceQuantity(remainingQuantity, this.slicesLeft, rules.stepSize);
      const why = sliceBelowMinimum(slice, rules.price, rules);
      if (why) throw invalid(`remainingQuantity: ${why} (${remainingQuantity} over ${this.slicesLeft} slices)`);
    }
  }

  private validateEnd(endAt: string, fromMs: number, nowMs: number): void {
    const end = Date.parse(endAt);
    if (!Number.isFinite(end)) throw invalid('endAt: must be an ISO-8601 time');
    if (end - fromMs < this.slicesLeft * TWAP_MIN_INTERVAL_MS) {
      throw invalid(`endAt: leaves less than ${TWAP_MIN_INTERVAL_MS / 1000} s per slice for the ${this.slicesLeft} slices left`);
    }
    if (end - nowMs > TWAP_MAX_HORIZON_MS) throw invalid(`endAt: the horizon may reach at most ${TWAP_MAX_HORIZON_MS / 86_400_000} days ahead`);
  }
}
