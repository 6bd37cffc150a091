/**
 * Text analysis shared by every item index. The Elasticsearch build we run everywhere has only
 * core analysis, so Russian and English morphology come from Hunspell dictionaries
 * (config/hunspell/ru_RU and en_US, installed by infra/hunspell.sh locally and mounted in compose).
 */
export const itemAnalysis = {
  char_filter: {
    // "ё" and "е" are the same letter for shoppers.
    yo_to_ye: { type: 'mapping', mappings: ['ё => е', 'Ё => Е'] },
  },
  filter: {
    ru_hunspell: { type: 'hunspell', locale: 'ru_RU', dedup: true },
    en_hunspell: { type: 'hunspell', locale: 'en_US', dedup: true },
  },
  analyzer: {
    shop_ru: { type: 'custom', tokenizer: 'standard', char_filter: ['yo_to_ye'], filter: ['lowercase', 'ru_hunspell'] },
    shop_en: { type: 'custom', tokenizer: 'standard', char_filter: ['yo_to_ye'], filter: ['lowercase', 'en_hunspell'] },
    shop_exact: { type: 'custom', tokenizer: 'standard', char_filter: ['yo_to_ye'], filter: ['lowercase'] },
  },
} as const;
