// Package textsafe owns what every text report does to untrusted strings
// (event messages, user names, change summaries) before they reach a
// terminal: control characters are shown escaped, and an empty table cell
// is shown as a dash. The report packages share it so that one rule holds
// for every table.
package textsafe
