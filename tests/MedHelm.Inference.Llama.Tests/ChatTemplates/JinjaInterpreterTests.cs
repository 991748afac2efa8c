using MedHelm.Inference.Llama.ChatTemplates;

namespace MedHelm.Inference.Llama.Tests.ChatTemplates;

public sealed class JinjaInterpreterTests
{
    private static readonly DateTime Now = new(2026, 3, 7, 9, 5, 0, DateTimeKind.Utc);

    private static string Render(string template, Dictionary<string, object?>? variables = null)
    {
        var normalized = JinjaLexer.Normalize(template);
        var program = JinjaParser.Parse(normalized);
        var interpreter = new JinjaInterpreter(normalized, f => JinjaBuiltins.Strftime(f, Now));
        return interpreter.Render(program, (variables ?? []).ToDictionary(kv => kv.Key, kv => JinjaValue.From(kv.Value)));
    }

    [Theory]
    [InlineData("ab  {%- if true %}c{% endif %}", "abc")]
    [InlineData("{% if true -%}  \n b{% endif %}", "b")]
    [InlineData("{{- ' x ' -}}  \n", " x ")]
    [InlineData("line\n    {% if true %}\nyes\n    {% endif %}\nend", "line\nyes\nend")]
    [InlineData("{{ 'a' }}\nb", "a\nb")]
    [InlineData("{# comment #}\nx", "x")]
    [InlineData("x\r\ny\n", "x\ny")]
    public void Whitespace_control_trim_blocks_and_lstrip_blocks(string template, string expected) =>
        Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %}", 2L, "two")]
    [InlineData("{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %}", 5L, "many")]
    [InlineData("{{ 'big' if x > 3 else 'small' }}", 5L, "big")]
    [InlineData("{{ x // 2 }} {{ x % 3 }} {{ x / 2 }} {{ x * 2 - 1 }} {{ -x + 1 }}", 7L, "3 1 3.5 13 -6")]
    public void Conditionals_and_arithmetic(string template, long x, string expected) =>
        Assert.Equal(expected, Render(template, new() { ["x"] = x }));

    [Fact]
    public void For_loops_expose_loop_variables_else_filters_and_unpacking()
    {
        var vars = new Dictionary<string, object?> { ["xs"] = new List<object?> { "a", "b", "c" } };
        Assert.Equal("0a1F3|1b2-3|2c3L3|",
            Render("{% for x in xs %}{{ loop.index0 }}{{ x }}{{ loop.index }}{% if loop.first %}F{% elif loop.last %}L{% else %}-{% endif %}{{ loop.length }}|{% endfor %}", vars));
        Assert.Equal("empty", Render("{% for x in [] %}{{ x }}{% else %}empty{% endfor %}"));
        Assert.Equal("b1c2", Render("{% for x in xs if x != 'a' %}{{ x }}{{ loop.index }}{% endfor %}", vars));
        Assert.Equal("k=1;j=2;", Render("{% for key, value in {'k': 1, 'j': 2}.items() %}{{ key }}={{ value }};{% endfor %}"));
        Assert.Equal("ab", Render("{% for x in xs %}{% if x == 'c' %}{% break %}{% endif %}{{ x }}{% endfor %}", vars));
        Assert.Equal("", Render("{% for x in missing %}{{ x }}{% endfor %}"));
    }

    [Fact]
    public void Set_in_a_loop_stays_in_the_loop_but_namespace_attributes_persist()
    {
        Assert.Equal("0 3", Render("{% set n = 0 %}{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set n = n + 1 %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ n }} {{ ns.n }}"));
        Assert.Equal("[hello]", Render("{% set block %}hello{% endset %}[{{ block }}]"));
        Assert.Equal("1-2", Render("{% set a, b = [1, 2] %}{{ a }}-{{ b }}"));
    }

    [Fact]
    public void Macros_take_positional_keyword_and_default_arguments()
    {
        Assert.Equal("<x:1><y:2><z:9>",
            Render("{% macro tag(name, v=9) %}<{{ name }}:{{ v }}>{% endmacro %}{{ tag('x', 1) }}{{ tag(name='y', v=2) }}{{ tag('z') }}"));
    }

    [Fact]
    public void Literals_strings_and_slicing()
    {
        Assert.Equal("a\n\t'\"\\b", Render("{{ 'a\\n\\t\\'\"\\\\' + \"b\" }}"));
        Assert.Equal("True False |None", Render("{{ true }} {{ False }} {{ none }}|{{ none | string }}")); // llama.cpp writes nothing for none
        Assert.Equal("1x2 {'a': 1} [1, 'x', [2]]", Render("{{ [1, 'x', [2]] }} {{ {'a': 1} }} {{ [1, 'x', [2]] | string }}")); // a list writes its items
        Assert.Equal("cba|bc|a|[3, 2, 1]", Render("{{ 'abc'[::-1] }}|{{ 'abc'[1:] }}|{{ 'abc'[0] }}|{{ [1, 2, 3][::-1] | string }}"));
        Assert.Equal("", Render("{{ 'abc'[-1] }}")); // as llama.cpp: a negative index into a string is undefined (Python: 'c')
        Assert.Equal("b", Render("{{ ['a', 'b'][-1] }}"));
    }

    [Fact]
    public void Undefined_values_follow_llama_cpp()
    {
        Assert.Equal("", Render("{{ nope }}{{ nope.attr }}{{ nope['x'] }}"));
        Assert.Equal("x", Render("{{ nope + 'x' }}"));
        Assert.Equal("no", Render("{% if nope %}yes{% else %}no{% endif %}"));
        Assert.Equal("True False True", Render("{{ nope is undefined }} {{ nope is defined }} {{ 'a' not in nope }}"));
        Assert.Equal("fallback", Render("{{ nope | default('fallback') }}"));
        var e = Assert.Throws<ChatTemplateException>(() => Render("line1\n{{ nope - 1 }}"));
        Assert.Equal(2, e.Line);
        Assert.Contains("'-'", e.Message);
    }

    [Fact]
    public void Tests_and_membership()
    {
        var vars = new Dictionary<string, object?>
        {
            ["m"] = new Dictionary<string, object?> { ["role"] = "user", ["content"] = "hi" },
            ["n"] = null,
        };
        Assert.Equal("True True True True True False",
            Render("{{ m is mapping }} {{ m.content is string }} {{ n is none }} {{ 'role' in m }} {{ 'i' in m.content }} {{ 3 is even }}", vars));
        Assert.Equal("True", Render("{{ m.tools is not defined and m['role'] == 'user' }}", vars));
        Assert.Equal("True True", Render("{{ 9 is divisibleby 3 }} {{ 'x' is equalto('x') }}"));
    }

    [Fact]
    public void String_methods_and_filters()
    {
        Assert.Equal("a b|a b  |  a b|A B|a b|X-Y|True|True|['a', 'b', 'c']|Hello World",
            Render("{{ '  a b  '.strip() }}|{{ '  a b  '.lstrip() }}|{{ '  a b  '.rstrip() }}|{{ 'a b'.upper() }}|{{ 'A B'.lower() }}|{{ 'x_y'.replace('_', '-').upper() }}|{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith('bc') }}|{{ 'a,b,c'.split(',') | string }}|{{ 'hello world' | title }}"));
        Assert.Equal("x|3|a|c|a, b, c|2|['a', 'b', 'c']",
            Render("{{ '  x ' | trim }}|{{ xs | length }}|{{ xs | first }}|{{ xs | last }}|{{ xs | join(', ') }}|{{ 'ab' | count }}|{{ xs | list | string }}",
                new() { ["xs"] = new List<object?> { "a", "b", "c" } }));
        Assert.Equal("after", Render("{{ 'before</think>after'.split('</think>')[-1] }}"));
        // as llama.cpp (byte-wise C functions), not Python: ASCII-only case mapping, words split at whitespace, UTF-8 byte length
        Assert.Equal("éTA|Don't-stop Now|3", Render("{{ 'éta'.upper() }}|{{ \"don't-STOP now\" | title }}|{{ 'é!' | length }}"));
    }

    [Fact]
    public void Selectattr_rejectattr_map_and_dict_methods()
    {
        var vars = new Dictionary<string, object?>
        {
            ["ms"] = new List<object?>
            {
                new Dictionary<string, object?> { ["role"] = "user", ["content"] = "u1" },
                new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = "a1" },
                new Dictionary<string, object?> { ["role"] = "user", ["content"] = "u2" },
            },
        };
        Assert.Equal("u1,u2|a1|user,assistant,user",
            Render("{{ ms | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}|{{ ms | rejectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}|{{ ms | map(attribute='role') | join(',') }}", vars));
        Assert.Equal("1|none|d|a,b|1,2", Render("{% set d = {'a': 1, 'b': 2} %}{{ d.get('a') }}|{{ d.get('z') is none and 'none' }}|{{ d.get('z', 'd') }}|{{ d.keys() | join(',') }}|{{ d.values() | join(',') }}"));
    }

    [Fact]
    public void Tojson_matches_python_json_dumps_layout()
    {
        var vars = new Dictionary<string, object?>
        {
            ["t"] = new Dictionary<string, object?> { ["name"] = "dose", ["n"] = 2L, ["f"] = 0.5, ["ok"] = true, ["none"] = null, ["list"] = new List<object?> { "é", "a\"b\n" } },
        };
        Assert.Equal("{\"name\": \"dose\", \"n\": 2, \"f\": 0.5, \"ok\": true, \"none\": null, \"list\": [\"é\", \"a\\\"b\\n\"]}", Render("{{ t | tojson }}", vars));
        Assert.Equal("{\n    \"name\": \"dose\",\n    \"n\": 2,\n    \"f\": 0.5,\n    \"ok\": true,\n    \"none\": null,\n    \"list\": [\n        \"é\",\n        \"a\\\"b\\n\"\n    ]\n}",
            Render("{{ t | tojson(indent=4) }}", vars));
        Assert.Equal("[\"\\u00e9\"]", Render("{{ ['é'] | tojson(ensure_ascii=true) }}"));
        Assert.Equal("{\"a\":1}", Render("{{ {'a': 1} | tojson(separators=(',', ':')) }}"));
    }

    [Fact]
    public void Strftime_now_uses_the_fixed_time()
    {
        Assert.Equal("07 Mar 2026|2026-03-07|March Saturday 09:05", Render("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d') }}|{{ strftime_now('%B %A %H:%M') }}"));
    }

    [Fact]
    public void Raise_exception_reports_the_templates_message_and_position()
    {
        var e = Assert.Throws<ChatTemplateException>(() => Render("ok\n  {{ raise_exception('Conversation roles must alternate') }}"));
        Assert.True(e.RaisedByTemplate);
        Assert.Equal("Conversation roles must alternate", e.Reason);
        Assert.Equal(2, e.Line);
    }

    [Theory]
    [InlineData("{% include 'x' %}", "unsupported statement '{% include %}'", 1, 4)]
    [InlineData("a\n{% if x %}never closed", "'{% if %}' is not closed by '{% endif %}'", 2, 1)]
    [InlineData("{{ x | nofilter }}", "unknown filter 'nofilter'", 1, 1)]
    [InlineData("{{ 'a' is frobbed }}", "unknown test 'is frobbed'", 1, 1)]
    [InlineData("{{ x ", "the template ends inside", 1, 6)]
    [InlineData("{% endfor %}", "'{% endfor %}' without a matching opening block", 1, 4)]
    [InlineData("{{ 'a\\q' }}", "unknown escape character \\q", 1, 7)]
    [InlineData("{% for x in xs recursive %}{% endfor %}", "unsupported 'recursive' loop", 1, 16)]
    public void Unsupported_or_broken_templates_fail_with_construct_and_position(string template, string message, int line, int column)
    {
        var e = Assert.Throws<ChatTemplateException>(() => Render(template, new() { ["x"] = "v", ["xs"] = new List<object?>() }));
        Assert.Contains(message, e.Reason);
        Assert.Equal((line, column), (e.Line, e.Column));
    }
}
