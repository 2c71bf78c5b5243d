namespace DuisPrioritiser.Duis;

/// <summary>Parses the <c>xs:dateTime</c> form DUIS uses (<c>2022-07-22T09:37:56.134Z</c>) from UTF-8 without allocating.</summary>
internal static class DuisDateTime
{
    /// <summary>
    /// Parses <c>YYYY-MM-DDThh:mm:ss[.fraction][Z|(+|-)hh:mm]</c>. A value without a time zone is taken as UTC
    /// (DUIS always sends <c>Z</c>); the fraction is rounded to the nearest tick (100 ns), an exact half to even.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length < 19
            || text[4] != (byte)'-' || text[7] != (byte)'-' || text[10] != (byte)'T' || text[13] != (byte)':' || text[16] != (byte)':'
            || !TryDigits(text.Slice(0, 4), out int year) || !TryDigits(text.Slice(5, 2), out int month) || !TryDigits(text.Slice(8, 2), out int day)
            || !TryDigits(text.Slice(11, 2), out int hour) || !TryDigits(text.Slice(14, 2), out int minute) || !TryDigits(text.Slice(17, 2), out int second))
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        int i = 19;
        long fractionTicks = 0;
        if (i < text.Length && text[i] == (byte)'.')
        {
            i++;
            int digits = 0;
            int roundDigit = 0;
            bool sticky = false;
            long scale = TimeSpan.TicksPerSecond;
            while (i < text.Length && (uint)(text[i] - '0') <= 9)
            {
                if (digits < 7)
                {
                    scale /= 10;
                    fractionTicks += (text[i] - '0') * scale;
                }
                else if (digits == 7)
                {
                    roundDigit = text[i] - '0';
                }
                else if (text[i] != (byte)'0')
                {
                    sticky = true;
                }

                digits++;
                i++;
            }

            if (digits == 0)
            {
                return false;
            }

            // Round to the nearest tick (100 ns), an exact half to even, as XmlConvert does.
            if (roundDigit > 5 || (roundDigit == 5 && (sticky || (fractionTicks & 1) == 1)))
            {
                fractionTicks++;
            }
        }

        var offset = TimeSpan.Zero;
        if (i < text.Length)
        {
            byte zone = text[i];
            if (zone == (byte)'Z' && i + 1 == text.Length)
            {
                i++;
            }
            else if (zone is (byte)'+' or (byte)'-' && i + 6 == text.Length && text[i + 3] == (byte)':'
                && TryDigits(text.Slice(i + 1, 2), out int offsetHours) && TryDigits(text.Slice(i + 4, 2), out int offsetMinutes)
                && offsetMinutes <= 59 && (offsetHours * 60) + offsetMinutes <= 14 * 60)
            {
                offset = new TimeSpan(offsetHours, offsetMinutes, 0);
                if (zone == (byte)'-')
                {
                    offset = -offset;
                }

                i += 6;
            }
            else
            {
                return false;
            }
        }

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fractionTicks);
        var utc = local.Ticks - offset.Ticks;
        if (utc < DateTime.MinValue.Ticks || utc > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        value = new DateTimeOffset(local, offset);
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (byte b in text)
        {
            uint digit = (uint)(b - '0');
            if (digit > 9)
            {
                return false;
            }

            value = (value * 10) + (int)digit;
        }

        return true;
    }
}
