using System.Collections;
using System.Reflection;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Tuning.Internal;

namespace DuisPrioritiser.Tests.Tuning;

public class OptionsDescriptionTests
{
    [Test]
    public void Flatten_NamesEveryBindableSetting()
    {
        var options = new ResponsePrioritisationOptions();
        options.Overrides.ServiceReferenceVariants["1.1.1"] = PriorityLevel.High;
        options.Overrides.AlertCodes["8F35"] = PriorityLevel.Low;
        options.Overrides.DccAlertPayloads["Payload"] = PriorityLevel.Low;
        options.Traffic.AlertCodes["8F35"] = new();
        options.Journal.Directory = "/tmp/j";
        options.Traffic.Critical.MaxWait = TimeSpan.FromMinutes(1); // null settings are left out

        var flattened = OptionsDescription.Flatten(options);

        var expected = new List<string>();
        Walk(typeof(ResponsePrioritisationOptions), options, "", expected);
        Assert.That(expected, Has.Count.GreaterThan(60), "the walk found the settings");
        Assert.That(expected.Where(key => !flattened.ContainsKey(key)), Is.Empty, "settings missing from OptionsDescription.Flatten: add them");
    }

    [Test]
    public void Diff_ListsChangedAddedAndRemovedKeysInOrder()
    {
        var before = OptionsDescription.Flatten(new ResponsePrioritisationOptions());
        var changed = new ResponsePrioritisationOptions { DefaultLevel = PriorityLevel.Low };
        changed.Traffic.AlertCodes["8F35"] = new() { Normal = { Rate = 2 } };

        var diff = OptionsDescription.Diff(before, OptionsDescription.Flatten(changed));

        Assert.That(diff.Select(c => c.ToString()), Is.EqualTo(new[]
        {
            "DefaultLevel: Normal -> Low",
            "Traffic:AlertCodes:8F35:Normal:Burst: (none) -> 1",
            "Traffic:AlertCodes:8F35:Normal:Rate: (none) -> 2",
            "Traffic:AlertCodes:8F35:Recovery:Burst: (none) -> 1",
            "Traffic:AlertCodes:8F35:Recovery:Rate: (none) -> 0",
        }));
    }

    [TestCase("Capacity", true)]
    [TestCase("Journal:Directory", true)]
    [TestCase("Release:MaxAttempts", true)]
    [TestCase("Traffic:Bulk:MinShare", false)]
    [TestCase("Pace:MaxLimit", false)]
    [TestCase("CapacityX", false)]
    public void IsStartTime_SplitsStartTimeFromTunable(string key, bool startTime)
        => Assert.That(OptionsDescription.IsStartTime(key), Is.EqualTo(startTime));

    private static void Walk(Type type, object instance, string prefix, List<string> keys)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.Name == "IsEmpty" || property.Name == "IsLimited")
            {
                continue;
            }

            var value = property.GetValue(instance);
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            string key = prefix + property.Name;
            if (propertyType.IsPrimitive || propertyType.IsEnum || propertyType == typeof(TimeSpan) || propertyType == typeof(string))
            {
                if (property.CanWrite)
                {
                    keys.Add(key);
                }
            }
            else if (value is IDictionary dictionary)
            {
                foreach (DictionaryEntry entry in dictionary)
                {
                    string entryKey = key + ":" + entry.Key;
                    if (entry.Value is PriorityLevel)
                    {
                        keys.Add(entryKey);
                    }
                    else if (entry.Value is not null)
                    {
                        Walk(entry.Value.GetType(), entry.Value, entryKey + ":", keys);
                    }
                }
            }
            else if (value is not null)
            {
                Walk(propertyType, value, key + ":", keys);
            }
        }
    }
}
