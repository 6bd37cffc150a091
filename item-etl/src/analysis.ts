/**
 * Text analysis shared by every item index. The Elasticsearch build we run everywhere has only
 * core analysis (no stemmers, no mapping char filter), so Russian and English morphology come from
 * Hunspell dictionaries installed by infra/hunspell.sh (locally and in the compose mount).
 * `ru_RU_yofold` is the ru_RU dictionary with ё folded to е, so "ёлки" and "елки" meet;
 * text is also folded ё→е by the ETL and the search service before it reaches Elasticsearch.
 */
export const itemAnalysis = {
  filter: {
    ru_hunspell: { type: 'hunspell', locale: 'ru_RU_yofold', dedup: true },
    en_hunspell: { type: 'hunspell', locale: 'en_US', dedup: true },
  },
  analyzer: {
    /** Both languages: product text mixes them ("Кроссовки Nike running shoes"). */
    shop_text: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'ru_hunspell', 'en_hunspell'] },
    shop_exact: { type: 'custom', tokenizer: 'standard', filter: ['lowercase'] },
  },
} as const;
