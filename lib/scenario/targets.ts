import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../image/cache.js';
import type { ProfileName } from '../image/profile-names.js';
import { StartedLab } from '../lab/started-lab.js';
import { Transcript } from '../report/transcript.js';
import { realScenarioLab } from './real-lab.js';
import { ReplayLab, type Recording } from './replay-lab.js';
import type { ScenarioLab } from './scenario-lab.js';

export const RECORDINGS_DIR = join(PROJECT_ROOT, 'scenarios', 'recordings');
export const REPORTS_DIR = join(PROJECT_ROOT, 'reports');

/** What the scenarios project's global setup hands to scenario files. */
export type ScenarioEnv =
  | { mode: 'real'; labId: string; profile: ProfileName; runDir: string }
  | { mode: 'replay'; recordings: string[]; runDir: string };

export interface OpenTarget {
  lab: ScenarioLab;
  transcript: Transcript;
  /** Called when the scenario ends: saves the recording (real) or checks it was used up (replay). */
  close(passed: boolean): Promise<void>;
}

/** One lab a scenario runs against: the real lab, or one recording. */
export interface ScenarioTarget {
  title: string;
  profile: ProfileName;
  stack: 'drbdadm' | 'drbdmanage';
  open(): Promise<OpenTarget>;
}

const stackOf = (p: ProfileName) => (p === 'ubuntu1804-drbd9' ? 'drbdmanage' : 'drbdadm');

export function recordingFiles(scenario: string, only?: string[]): string[] {
  if (only?.length) return only.filter((f) => f.includes(`${scenario}.`));
  if (!existsSync(RECORDINGS_DIR)) return [];
  return readdirSync(RECORDINGS_DIR)
    .filter((f) => f.startsWith(`${scenario}.`) && f.endsWith('.json'))
    .map((f) => join(RECORDINGS_DIR, f));
}

export function scenarioTargets(scenario: string, env: ScenarioEnv): ScenarioTarget[] {
  if (env.mode === 'real') {
    return [
      {
        title: env.profile,
        profile: env.profile,
        stack: stackOf(env.profile),
        open: async () => {
          const dir = join(env.runDir, scenario);
          const transcript = new Transcript(join(dir, 'transcript'));
          const started = await StartedLab.attach(env.labId, transcript);
          const lab = realScenarioLab(started);
          return {
            lab,
            transcript,
            close: async (passed) => {
              for (const n of started.nodeList) n.close();
              const recording: Recording = {
                profile: env.profile,
                labels: lab.labels,
                nodes: lab.nodes.map((n) => ({ name: n.name, replicationIp: n.replicationIp })),
                commands: transcript.records,
              };
              await mkdir(join(REPORTS_DIR, 'recordings'), { recursive: true });
              const name = `${scenario}.${env.profile}${passed ? '' : '.failed'}.json`;
              await writeFile(join(REPORTS_DIR, 'recordings', name), JSON.stringify(recording, null, 1));
            },
          };
        },
      },
    ];
  }
  return recordingFiles(scenario, env.recordings).map((file) => {
    const recording = JSON.parse(readFileSync(file, 'utf8')) as Recording;
    return {
      title: `replay ${file.split('/').pop()}`,
      profile: recording.profile,
      stack: stackOf(recording.profile),
      open: async () => {
        const transcript = new Transcript(join(env.runDir, `${scenario}.replay.${recording.profile}`, 'transcript'));
        const lab = new ReplayLab(recording, transcript, transcript.redactor);
        return {
          lab,
          transcript,
          close: async (passed) => {
            if (passed && lab.remaining.length > 0) {
              const next = lab.remaining[0]!;
              throw new Error(`replay ended early: the recording still has ${lab.remaining.length} commands, next ${next.node}$ ${next.command}`);
            }
          },
        };
      },
    };
  });
}
