/**
 * The labelled set (data/labelled-reviews.jsonl) and the figures an analyzer earns on it: accuracy, macro-F1 and
 * the confusion matrix for sentiment; precision and recall for aspects (an aspect counts as found when the
 * analyzer gives it a polarity; its polarity agreement is reported beside).
 */
import { readFileSync } from 'node:fs';
import { SENTIMENTS, type Analysis, type Sentiment } from './analyzer.ts';
import { DATA_DIR } from './lexicon.ts';

export interface LabelledReview {
  id: string;
  lang: 'ru' | 'en';
  stars: number;
  label: Sentiment;
  aspects: Record<string, '+' | '-'>;
  text: string;
}

export function loadLabelledSet(): LabelledReview[] {
  return readFileSync(new URL('labelled-reviews.jsonl', DATA_DIR), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LabelledReview);
}

export interface Figures {
  n: number;
  accuracy: number;
  macroF1: number;
  perClass: Record<Sentiment, { precision: number; recall: number; f1: number }>;
  /** confusion[expected][predicted] */
  confusion: Record<Sentiment, Record<Sentiment, number>>;
  aspects: { precision: number; recall: number; polarityAgreement: number; truePositives: number; predicted: number; expected: number };
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 1000) / 1000);

export function evaluate(pairs: { review: LabelledReview; analysis: Analysis }[]): Figures {
  const confusion = Object.fromEntries(SENTIMENTS.map((e) => [e, Object.fromEntries(SENTIMENTS.map((p) => [p, 0]))])) as Figures['confusion'];
  let correct = 0;
  let tp = 0;
  let predicted = 0;
  let expected = 0;
  let agree = 0;
  for (const { review, analysis } of pairs) {
    confusion[review.label][analysis.sentiment]++;
    if (review.label === analysis.sentiment) correct++;
    const found = new Map(analysis.aspects.filter((a) => a.polarity !== 'neutral').map((a) => [a.aspect, a.polarity]));
    const wanted = Object.entries(review.aspects);
    predicted += found.size;
    expected += wanted.length;
    for (const [aspect, pol] of wanted) {
      if (!found.has(aspect)) continue;
      tp++;
      if (found.get(aspect) === (pol === '+' ? 'positive' : 'negative')) agree++;
    }
  }
  const perClass = Object.fromEntries(SENTIMENTS.map((c) => {
    const tpc = confusion[c][c];
    const pred = SENTIMENTS.reduce((s, e) => s + confusion[e][c], 0);
    const act = SENTIMENTS.reduce((s, p) => s + confusion[c][p], 0);
    const precision = ratio(tpc, pred);
    const recall = ratio(tpc, act);
    return [c, { precision, recall, f1: precision + recall ? Math.round((2 * precision * recall / (precision + recall)) * 1000) / 1000 : 0 }];
  })) as Figures['perClass'];
  return {
    n: pairs.length,
    accuracy: ratio(correct, pairs.length),
    macroF1: Math.round((SENTIMENTS.reduce((s, c) => s + perClass[c].f1, 0) / SENTIMENTS.length) * 1000) / 1000,
    perClass,
    confusion,
    aspects: { precision: ratio(tp, predicted), recall: ratio(tp, expected), polarityAgreement: ratio(agree, tp), truePositives: tp, predicted, expected },
  };
}

/** The figures as a few lines of text (the test prints them). */
export function formatFigures(name: string, f: Figures): string {
  const row = (e: Sentiment) => `  ${e.padEnd(9)}${SENTIMENTS.map((p) => String(f.confusion[e][p]).padStart(9)).join('')}`;
  return [
    `${name}: n=${f.n} accuracy=${f.accuracy} macro-F1=${f.macroF1}`,
    `  per class: ${SENTIMENTS.map((c) => `${c} P=${f.perClass[c].precision} R=${f.perClass[c].recall} F1=${f.perClass[c].f1}`).join('; ')}`,
    `  confusion (rows expected, columns predicted):`,
    `  ${''.padEnd(9)}${SENTIMENTS.map((p) => p.padStart(9)).join('')}`,
    ...SENTIMENTS.map(row),
    `  aspects: precision=${f.aspects.precision} recall=${f.aspects.recall} (tp ${f.aspects.truePositives}, predicted ${f.aspects.predicted}, labelled ${f.aspects.expected}); polarity agreement on found=${f.aspects.polarityAgreement}`,
  ].join('\n');
}
