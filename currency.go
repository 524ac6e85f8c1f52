package cohort

import "strings"

// currencyCodes are the ISO 4217 codes of the currencies in circulation (the
// standard's list one, as of 2025), without the fund, precious-metal, testing
// and "no currency" codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW, XAG,
// XAU, XBA-XBD, XDR, XPD, XPT, XSU, XTS, XUA, XXX), which no company keeps
// its books in. A code withdrawn lately (ANG, CUC, HRK, SLL, ZWL) is kept so
// that a tenant set to it stays valid.
var currencyCodes = strings.Fields(`
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL
BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD
EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR
ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR
LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO
NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG
SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD
TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
ZWL`)

var currencySet = func() map[string]bool {
	m := make(map[string]bool, len(currencyCodes))
	for _, c := range currencyCodes {
		m[c] = true
	}
	return m
}()

// ValidCurrencyCode reports whether s is the ISO 4217 code of a currency in
// circulation, in upper case ("CNY", "USD").
func ValidCurrencyCode(s string) bool { return currencySet[s] }

// CurrencyCodes lists the codes ValidCurrencyCode accepts, sorted.
func CurrencyCodes() []string { return append([]string(nil), currencyCodes...) }
