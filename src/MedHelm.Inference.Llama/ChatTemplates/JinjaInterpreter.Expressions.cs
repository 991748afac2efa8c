namespace MedHelm.Inference.Llama.ChatTemplates;

internal sealed partial class JinjaInterpreter
{
    private object? Evaluate(JinjaExpr expr, JinjaScope scope)
    {
        switch (expr)
        {
            case LiteralExpr l:
                return l.Value;
            case NameExpr n:
                var value = scope.Get(n.Name);
                return value is JinjaUndefined && JinjaBuiltins.Global(n.Name, this) is { } global ? global : value;
            case ListExpr list:
                return list.Items.Select(i => Evaluate(i, scope)).ToList();
            case DictExpr dict:
                var o = new JinjaObject();
                foreach (var (k, v) in dict.Items)
                {
                    o.Set(JinjaValue.Key(Evaluate(k, scope)), Evaluate(v, scope));
                }

                return o;
            case MemberExpr m:
                return Member(Evaluate(m.Target, scope), Evaluate(m.Key, scope), m.Computed);
            case SliceExpr s:
                return JinjaBuiltins.Slice(
                    Evaluate(s.Target, scope),
                    s.Start is null ? null : Evaluate(s.Start, scope),
                    s.Stop is null ? null : Evaluate(s.Stop, scope),
                    s.Step is null ? null : Evaluate(s.Step, scope));
            case CallExpr c:
                var callee = Evaluate(c.Callee, scope);
                if (callee is not JinjaFunction f)
                {
                    throw new JinjaRuntimeException($"{Describe(c.Callee)} is not callable ({JinjaValue.TypeName(callee)})");
                }

                return f.Invoke(Arguments(c.Args, c.Named, scope, hasInput: false, null));
            case FilterExpr filter:
                var input = Evaluate(filter.Target, scope);
                return JinjaBuiltins.Filter(filter.Name, input, Arguments(filter.Args, filter.Named, scope, hasInput: true, input), this);
            case TestExpr t:
                var result = JinjaBuiltins.Test(t.Name, Evaluate(t.Target, scope), t.Args.Select(a => Evaluate(a, scope)).ToList());
                return t.Negated ? !result : result;
            case UnaryExpr u:
                var operand = Evaluate(u.Operand, scope);
                return u.Op switch
                {
                    "not" => !JinjaValue.Truthy(operand),
                    "-" => operand is long i ? -i : (object)-JinjaValue.AsDouble(operand),
                    _ => operand is long or double ? operand : throw new JinjaRuntimeException($"unary + on {JinjaValue.TypeName(operand)}"),
                };
            case BinaryExpr b:
                return Binary(b, scope);
            case ConditionalExpr c:
                return JinjaValue.Truthy(Evaluate(c.Test, scope))
                    ? Evaluate(c.Then, scope)
                    : c.Else is null ? new JinjaUndefined("else") : Evaluate(c.Else, scope);
            default:
                throw new JinjaRuntimeException($"cannot evaluate {expr.GetType().Name}");
        }
    }

    /// <summary>Evaluated call arguments; a filter's input is the first positional one.</summary>
    private JinjaArgs Arguments(IReadOnlyList<JinjaExpr> args, IReadOnlyList<(string Name, JinjaExpr Value)> named, JinjaScope scope, bool hasInput, object? input)
    {
        var positional = new List<object?>();
        if (hasInput)
        {
            positional.Add(input);
        }

        positional.AddRange(args.Select(a => Evaluate(a, scope)));
        return new JinjaArgs(positional, named.Select(n => new KeyValuePair<string, object?>(n.Name, Evaluate(n.Value, scope))).ToList());
    }

    /// <summary><c>target.key</c> / <c>target[key]</c>: methods first for the dotted form, as llama.cpp resolves them.</summary>
    internal object? Member(object? target, object? key, bool computed)
    {
        if (target is JinjaObject { IsProbe: true } && key is "content")
        {
            ProbeRead = true;
        }

        if (!computed && key is string name && JinjaBuiltins.Method(target, name) is { } method)
        {
            return method;
        }

        switch (target)
        {
            case JinjaUndefined or null when key is not string || computed:
                return new JinjaUndefined(key as string ?? "item");
            case JinjaObject o:
                if (key is JinjaUndefined)
                {
                    return new JinjaUndefined("key");
                }

                return o.TryGet(JinjaValue.Key(key), out var v) ? v
                    : key is string n && JinjaBuiltins.Method(o, n) is { } m ? m
                    : new JinjaUndefined(key as string ?? JinjaValue.ToText(key));
            case List<object?> list when key is long index:
                if (index < 0)
                {
                    index += list.Count;
                }

                return index >= 0 && index < list.Count ? list[(int)index] : new JinjaUndefined("index");
            case string s when key is long index:
                return index >= 0 && index < s.Length ? s[(int)index].ToString() : new JinjaUndefined("index");
            default:
                if (key is string other)
                {
                    return (object?)JinjaBuiltins.Method(target, other) ?? new JinjaUndefined(other);
                }

                throw new JinjaRuntimeException($"Cannot access property with {JinjaValue.TypeName(key)} on {JinjaValue.TypeName(target)}");
        }
    }

    private object? Binary(BinaryExpr b, JinjaScope scope)
    {
        var left = Evaluate(b.Left, scope);
        if (b.Op == "and")
        {
            return JinjaValue.Truthy(left) ? Evaluate(b.Right, scope) : left;
        }

        if (b.Op == "or")
        {
            return JinjaValue.Truthy(left) ? left : Evaluate(b.Right, scope);
        }

        var right = Evaluate(b.Right, scope);
        switch (b.Op)
        {
            case "==":
                return JinjaValue.Equals(left, right);
            case "!=":
                return !JinjaValue.Equals(left, right);
            case "in" or "not in":
                return (b.Op == "in") == JinjaBuiltins.Contains(right, left);
        }

        var leftNull = left is null or JinjaUndefined;
        var rightNull = right is null or JinjaUndefined;
        if (leftNull || rightNull)
        {
            if (b.Op is "+" or "~" && ((leftNull && right is string) || (rightNull && left is string)))
            {
                return (leftNull ? "" : (string)left!) + (rightNull ? "" : (string)right!);
            }

            throw new JinjaRuntimeException(
                $"cannot apply '{b.Op}' to {JinjaValue.TypeName(left)} and {JinjaValue.TypeName(right)} ({Describe(leftNull ? b.Left : b.Right)} is {JinjaValue.TypeName(leftNull ? left : right)})");
        }

        if (b.Op == "~")
        {
            return JinjaValue.ToText(left) + JinjaValue.ToText(right);
        }

        if (JinjaValue.IsNumber(left) && JinjaValue.IsNumber(right))
        {
            return Arithmetic(b.Op, left!, right!);
        }

        return (b.Op, left, right) switch
        {
            ("+", List<object?> x, List<object?> y) => x.Concat(y).ToList(),
            ("+", string x, _) => x + JinjaValue.ToText(right),
            ("+", _, string y) => JinjaValue.ToText(left) + y,
            ("*", string x, long n) => string.Concat(Enumerable.Repeat(x, (int)Math.Max(0, n))),
            ("*", long n, string x) => string.Concat(Enumerable.Repeat(x, (int)Math.Max(0, n))),
            ("<" or ">" or "<=" or ">=", string x, string y) => Compare(b.Op, string.CompareOrdinal(x, y)),
            _ => throw new JinjaRuntimeException($"unsupported operator '{b.Op}' between {JinjaValue.TypeName(left)} and {JinjaValue.TypeName(right)}"),
        };
    }

    private static object Arithmetic(string op, object left, object right)
    {
        var floats = left is double || right is double;
        var a = JinjaValue.AsDouble(left);
        var c = JinjaValue.AsDouble(right);
        switch (op)
        {
            case "+" or "-" or "*" or "%":
                if (!floats)
                {
                    long x = (long)left, y = (long)right;
                    return op switch
                    {
                        "+" => x + y,
                        "-" => x - y,
                        "*" => x * y,
                        _ => y == 0 ? throw new JinjaRuntimeException("integer modulo by zero") : x % y,
                    };
                }

                return op switch { "+" => a + c, "-" => a - c, "*" => a * c, _ => a % c }; // C fmod, as llama.cpp
            case "/":
                return a / c;
            case "//":
                return floats ? Math.Floor(a / c) : c == 0 ? throw new JinjaRuntimeException("integer division by zero") : (object)(long)Math.Floor(a / c);
            default:
                return Compare(op, a.CompareTo(c));
        }
    }

    private static bool Compare(string op, int cmp) => op switch
    {
        "<" => cmp < 0,
        ">" => cmp > 0,
        "<=" => cmp <= 0,
        ">=" => cmp >= 0,
        _ => throw new JinjaRuntimeException($"unsupported comparison '{op}'"),
    };

    private static string Describe(JinjaExpr e) => e switch
    {
        NameExpr n => $"'{n.Name}'",
        MemberExpr { Key: LiteralExpr { Value: var k } } m => $"{Describe(m.Target).Trim('\'')}[{JinjaValue.Repr(k)}]",
        _ => "the expression",
    };
}
