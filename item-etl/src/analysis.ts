/**
 * Text analysis shared by every item index. The Elasticsearch build we run everywhere has only
 * core analysis (no stemmers, no mapping char filter), so Russian and English morphology come from
 * Hunspell dictionaries installed by infra/hunspell.sh (locally and in the compose mount).
 * `ru_RU_yofold` is the ru_RU dictionary with ё folded to е, so "ёлки" and "елки" meet;
 * text is also folded ё→е by the ETL and the search service before it reaches Elasticsearch.
 */
import type { estypes } from '@elastic/elasticsearch';

// The client's typings demand `lang` and `language` together; the server takes `locale` alone.
const hunspell = (locale: string) => ({ type: 'hunspell', locale, dedup: true }) as unknown as estypes.AnalysisTokenFilter;

export const itemAnalysis: estypes.IndicesIndexSettingsAnalysis = {
  filter: {
    ru_hunspell: hunspell('ru_RU_yofold'),
    en_hunspell: hunspell('en_US'),
  },
  analyzer: {
    /** Both languages: product text mixes them ("Кроссовки Nike running shoes"). */
    shop_text: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'ru_hunspell', 'en_hunspell'] },
    shop_exact: { type: 'custom', tokenizer: 'standard', filter: ['lowercase'] },
  },
};
