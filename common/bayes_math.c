/* ISC license. */

#include <stdint.h>
#include <string.h>

#include "common/bayes.h"

/* ln, exp and the chi-square tail, written out so that the common
 * library needs no libm (no program or test links -lm). The precision
 * needed is modest: the results only rank a message between ham and
 * spam. Both functions split off a power of two and run a short,
 * bounded series on what is left. */

#define LN2 0.69314718055994530942

double bayes_ln (double x)
{
  uint64_t bits ;
  int e ;
  double m, z, z2, term, sum ;
  if (!(x > 0)) return -1e308 ;   /* ln 0 is -inf; callers never pass it */
  if (x < 2.2250738585072014e-308) return bayes_ln(x * 18014398509481984.0) - 54 * LN2 ;  /* subnormal: times 2^54 */
  memcpy(&bits, &x, sizeof(bits)) ;
  e = (int)((bits >> 52) & 0x7ff) - 1023 ;
  bits = (bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL ;
  memcpy(&m, &bits, sizeof(m)) ;           /* 1 <= m < 2 */
  if (m > 1.4142135623730951) { m /= 2 ; e++ ; }
  /* ln m = 2 atanh z, z = (m - 1) / (m + 1), |z| < 0.172 */
  z = (m - 1) / (m + 1) ;
  z2 = z * z ;
  term = z ;
  sum = 0 ;
  for (unsigned int k = 1 ; k < 60 ; k += 2)
  {
    sum += term / k ;
    term *= z2 ;
  }
  return e * LN2 + 2 * sum ;
}

double bayes_exp (double x)
{
  double r, term, sum, scale ;
  uint64_t bits ;
  int k ;
  if (x < -745) return 0 ;
  if (x > 709) return 1e308 ;
  k = (int)(x / LN2 + (x < 0 ? -0.5 : 0.5)) ;
  r = x - k * LN2 ;                        /* |r| <= ln2 / 2 */
  term = 1 ;
  sum = 1 ;
  for (unsigned int i = 1 ; i < 30 ; i++)
  {
    term *= r / i ;
    sum += term ;
  }
  /* times 2^k, in two steps when 2^k itself is not a normal double */
  while (k < -1000) { sum *= 9.332636185032189e-302 ; k += 1000 ; }   /* 2^-1000 */
  bits = (uint64_t)(k + 1023) << 52 ;
  memcpy(&scale, &bits, sizeof(scale)) ;
  return sum * scale ;
}

double bayes_chi2q (double x2, unsigned int dof)
{
  /* P(chi2 >= x2) for even dof: e^-m sum_{i < dof/2} m^i / i!, m = x2/2 */
  double m = x2 / 2, term, sum ;
  if (x2 <= 0) return 1 ;
  term = bayes_exp(-m) ;
  sum = term ;
  for (unsigned int i = 1 ; i < dof / 2 ; i++)
  {
    term *= m / i ;
    sum += term ;
  }
  return sum < 1 ? sum : 1 ;
}
