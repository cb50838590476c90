// How the views say that the server withheld a figure (web/anon.c): a group
// smaller than the tenant's threshold k, or a larger group hidden so that a
// small one cannot be worked out by subtraction. The page never tries to
// compute what was withheld.

/** The short text for a hidden cell or figure. */
export function hiddenText(reason, k) {
  if (reason === 'protects_another_group') return 'hidden to protect another group';
  if (reason === 'fewer_than_k') return k ? `fewer than ${k}` : 'fewer than k';
  return 'hidden';
}

/** The longer explanation, for a card or a notice. */
export function hiddenExplain(reason, k) {
  if (reason === 'protects_another_group')
    return 'Hidden so that a smaller group cannot be worked out by subtracting visible figures.';
  return `Hidden: fewer than ${k ?? 'k'} people answered, and Hark never shows smaller groups.`;
}

/** Whether V is a withheld figure ({hidden: reason}). */
export const isHidden = (v) => !!v && typeof v === 'object' && typeof v.hidden === 'string';
