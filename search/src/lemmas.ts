// The Lemmatizer moved to the kit (comment-analysis reads review words with the same stems).
export { LEMMA_CACHE_MAX, Lemmatizer } from '@shop/kit/lemmas';
