// Package textsafe owns what every report does to untrusted strings
// (cluster, namespace, workload and file names, reasons, users, event
// messages, change summaries) before they reach a terminal: control
// characters, invalid UTF-8 and bidirectional overrides are shown escaped
// (Sanitize), an empty table cell is shown as a dash (Dash, Field), and a
// CSV cell that a spreadsheet would run as a formula is made text (Cell,
// Row), and JSON and HTML output pass through a Writer that escapes what
// their encoders leave raw (NewJSONWriter, NewHTMLWriter). The report
// packages share it so that one rule holds for every output.
package textsafe
