package dev.keygate.usage.reporting;

import java.util.List;

/**
 * RFC 4180 CSV: CRLF line ends, a field with a comma, quote, CR or LF is quoted and its quotes doubled. A text field
 * that a spreadsheet would read as a formula (starting with =, +, -, @, tab or CR) is prefixed with a single quote,
 * since user ids and model names come from callers.
 */
final class Csv {

    private final StringBuilder text = new StringBuilder();

    Csv row(List<?> fields) {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                text.append(',');
            }
            text.append(field(fields.get(i)));
        }
        text.append("\r\n");
        return this;
    }

    static String field(Object value) {
        if (value == null) {
            return "";
        }
        if (value instanceof java.math.BigDecimal decimal) {
            return decimal.toPlainString();
        }
        String text = value.toString();
        if (value instanceof CharSequence && !text.isEmpty() && "=+-@\t\r".indexOf(text.charAt(0)) >= 0) {
            text = "'" + text;
        }
        if (text.chars().anyMatch(c -> c == ',' || c == '"' || c == '\r' || c == '\n')) {
            return '"' + text.replace("\"", "\"\"") + '"';
        }
        return text;
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
