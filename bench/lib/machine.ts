/** What the figures were measured on, and how busy the machine was meanwhile. */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  temporalCli: string;
  /** 1-minute load averages sampled during the run: other work on the machine shows here. */
  loadAverage: { start: number; end: number; max: number; samples: number };
  /** Cores busy with work that is not the bench's, averaged over the measured runs (from /proc). */
  otherCoresDuringRuns?: { mean: number; max: number } | null;
}

function osName(): string {
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
    if (pretty) return `${pretty} (${os.type()} ${os.release()} ${os.arch()})`;
  } catch {
    // not Linux, or no os-release
  }
  return `${os.type()} ${os.release()} ${os.arch()}`;
}

/** Samples the load average every 5 s until `finish()`. */
export function watchMachine(temporalCli: () => string) {
  const start = os.loadavg()[0]!;
  const samples = [start];
  const timer = setInterval(() => samples.push(os.loadavg()[0]!), 5000);
  timer.unref();
  return {
    finish(): Machine {
      clearInterval(timer);
      const end = os.loadavg()[0]!;
      samples.push(end);
      const cpus = os.cpus();
      return {
        cpus: cpus.length,
        cpuModel: cpus[0]?.model.trim() ?? 'unknown',
        memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
        os: osName(),
        node: process.version,
        temporalCli: temporalCli(),
        loadAverage: { start: round2(start), end: round2(end), max: round2(Math.max(...samples)), samples: samples.length },
      };
    },
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;
